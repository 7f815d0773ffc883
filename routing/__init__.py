"""Routing items to units (智能交办): the lead-unit suggestion model, the unit duties it reads,
and the command that measures it."""
