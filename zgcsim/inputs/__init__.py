"""What a run reads: parameters, levers, scenarios, targets and the calibration file."""
