"""Calibration on the zone's record up to 2017: moments, the 2013-2017 spin-up, the search, the fit report."""
