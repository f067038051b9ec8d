"""The wire contract shared by the sandbox and the bots: Hyperliquid's number strings,
message shapes and signing. Imports nothing else from this project."""
