"""The shared language of srm-bridge: records, scorecards, events. No I/O, no clock."""
