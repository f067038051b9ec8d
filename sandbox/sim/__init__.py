"""The simulation around the exchange: what makes a market happen in the sandbox.

- `timeline`: the schedule of everything that happens at a time (virtual or real);
- `oracle`: price paths, shocks, the other venues' mids and the oracle that posts them;
- `makers`: background market makers quoting around the price;
- `scenario`: the scenario format (TOML), read and checked once into typed values;
- `build`: a venue built from a scenario;
- `player`: a scenario played with its bots over real sockets, narrated.

The server's venue (`sandbox.server.venue`) runs the first three; the last three sit on top
of the server.
"""
