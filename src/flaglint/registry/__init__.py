"""Where flag facts come from: flags.toml, Unleash, exports, flagd, the project's own declarations."""
