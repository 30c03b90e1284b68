"""The park: ParkModel, its step order, and one module per behaviour of its agents."""
