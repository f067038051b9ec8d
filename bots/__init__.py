"""Client side of adl-sandbox: an async client library built on `protocol`, a Bot base
class and sample bots."""
