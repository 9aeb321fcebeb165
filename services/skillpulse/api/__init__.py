"""Every HTTP router of the services, one module each (`create_<name>_router`).

The routers are the only place that knows FastAPI; what they serve lives in the domain
packages below them (collector, kpi, health, store, dead_letters), which import nothing
from here. The composition roots in `skillpulse.app` pick which routers a role serves."""
