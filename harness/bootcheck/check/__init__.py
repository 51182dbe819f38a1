"""The contract side: seL4's boot contract per architecture, the emulated run
(emu-check) it judges, `bootcheck check` end to end, and a scenario run's
diagnosis."""
