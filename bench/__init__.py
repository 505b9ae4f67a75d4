"""kaido benchmarks: reports of speed and memory, never pass/fail tests."""
