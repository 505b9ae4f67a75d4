"""The simulated control plane: the controllers a real cluster runs, as `Runtime` controllers."""
