"""Repository tools: doc and picture generators, synth summary, template comparison. Not deployed."""
