"""The core that reads code: files, workspace, cache, detection, resolution, patterns, policy, uses."""
