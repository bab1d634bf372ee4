"""kali.templating: templates compiled once into Python functions that return iolists.

>>> from kali.templating import Template
>>> Template("<li>{item}</li>")(item="<b>")
['<li>&lt;b&gt;</li>']

See `docs/templating/` for the syntax. The pipeline is lexer → parser → composer (layouts and
includes) → compiler (one Python function per template) → runtime (the helpers the generated code
may call).
"""

from .composer import Loader as Loader
from .composer import MappingLoader as MappingLoader
from .composer import Source as Source
from .errors import TemplateError as TemplateError
from .errors import TemplateNotFound as TemplateNotFound
from .errors import TemplateRenderError as TemplateRenderError
from .errors import TemplateSyntaxError as TemplateSyntaxError
from .errors import UndefinedError as UndefinedError
from .errors import UnsafeAttributeError as UnsafeAttributeError
from .formatters import Formatter as Formatter
from .formatters import Formatters as Formatters
from .loader import TemplateFolder as TemplateFolder
from .markup import Markup as Markup
from .markup import Rendered as Rendered
from .markup import escape as escape
from .markup import iolist_to_str as iolist_to_str
from .template import Assembly as Assembly
from .template import Renderable as Renderable
from .template import Template as Template

__all__ = [
    "Assembly",
    "Formatter",
    "Formatters",
    "Loader",
    "MappingLoader",
    "Markup",
    "Renderable",
    "Rendered",
    "Source",
    "Template",
    "TemplateError",
    "TemplateFolder",
    "TemplateNotFound",
    "TemplateRenderError",
    "TemplateSyntaxError",
    "UndefinedError",
    "UnsafeAttributeError",
    "escape",
    "iolist_to_str",
]
