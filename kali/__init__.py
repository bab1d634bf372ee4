"""kali: desktop-style applications as web apps served to localhost.

A sequential server ([`serve_http`][kali.serve_http]), requests and responses,
iolist bodies, an [`App`][kali.App] with typed routes, compiled templates, and
the pieces around them. Everything public is re-exported here.
"""

from . import flash_messages as flash_messages
from . import formlets as formlets
from . import sqlite as sqlite
from .app import App as App
from .errors import ConfigurationError as ConfigurationError
from .errors import HTTPError as HTTPError
from .flash_messages import flash as flash
from .forms import FormData as FormData
from .forms import UploadFile as UploadFile
from .live import EventStream as EventStream
from .live import Stream as Stream
from .multidict import Headers as Headers
from .multidict import MultiDict as MultiDict
from .options import ServerOptions as ServerOptions
from .options import Timeouts as Timeouts
from .pipeline import to_response as to_response
from .protocol import Limits as Limits
from .request import Request as Request
from .resource import Resource as Resource
from .response import FileBody as FileBody
from .response import Response as Response
from .routing import BuildError as BuildError
from .routing import Converter as Converter
from .routing import Match as Match
from .routing import Mount as Mount
from .routing import Route as Route
from .routing import RouteError as RouteError
from .server import Server as Server
from .server import serve_http as serve_http
from .templating import Markup as Markup
from .templating import Template as Template
from .templating import TemplateFolder as TemplateFolder
from .templating import TemplateNotFound as TemplateNotFound
from .templating import TemplateRenderError as TemplateRenderError
from .templating import TemplateSyntaxError as TemplateSyntaxError
from .templating import UndefinedError as UndefinedError
from .typing import Handler as Handler
from .typing import IoList as IoList
from .typing import Middleware as Middleware
from .typing import ResponseValue as ResponseValue

__version__ = "0.1.0"

__all__ = [
    "App",
    "BuildError",
    "ConfigurationError",
    "Converter",
    "EventStream",
    "FileBody",
    "FormData",
    "HTTPError",
    "Handler",
    "Headers",
    "IoList",
    "Limits",
    "Markup",
    "Match",
    "Middleware",
    "Mount",
    "MultiDict",
    "Request",
    "Resource",
    "Response",
    "ResponseValue",
    "Route",
    "RouteError",
    "Server",
    "ServerOptions",
    "Stream",
    "Template",
    "TemplateFolder",
    "TemplateNotFound",
    "TemplateRenderError",
    "TemplateSyntaxError",
    "Timeouts",
    "UndefinedError",
    "UploadFile",
    "flash",
    "flash_messages",
    "formlets",
    "serve_http",
    "sqlite",
    "to_response",
]
