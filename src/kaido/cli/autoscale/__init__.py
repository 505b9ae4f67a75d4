"""`kaido bench autoscale`: replay a request-rate trace through the simulator with the agent in the loop."""
