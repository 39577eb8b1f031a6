"""Kong 3.x as kong/kong.yml configures it, emulated for the local gateway from Kong's own sources."""

from localdev.kong.declarative import KongConfig, KongConfigError, KongRoute, load_kong
from localdev.kong.proxy import KongProxy

__all__ = ["KongConfig", "KongConfigError", "KongProxy", "KongRoute", "load_kong"]
