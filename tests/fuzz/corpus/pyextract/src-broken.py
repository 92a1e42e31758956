from . import (a,
  b)
import x.y as z
try:
    import c
except ImportError:
    pass
def f(:
    import d
