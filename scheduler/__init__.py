"""The long-running service, its jobs and the `srm-bridge` command line."""
