"""The planner's dashboard: a Solara page (``app.py``), served by ``zgcsim dashboard`` (``cli/dashboard.py``)."""
