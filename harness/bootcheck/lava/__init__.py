"""LAVA: jobs made from the scenarios, run by LAVA's own dispatcher or a local
instance, their results read back, and the fork servers that pay LAVA's
imports once."""
