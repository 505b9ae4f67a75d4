"""Behaviour models for the simulated kubelet: an image catalog, services and a tiny shell."""

from kaido.sim.behaviour.catalog import (
    BAD_RELEASE,
    Image,
    ImageCatalog,
    ImageEntry,
    ImageRef,
    InvalidImageError,
    PullFailure,
    parse_image,
)
from kaido.sim.behaviour.library import PRESETS, default_catalog, default_entries
from kaido.sim.behaviour.model import Behaviour, Exit, HttpReply, Launch, Output, Process, Requests, Serving, Usage
from kaido.sim.behaviour.overload import Overload, overload
from kaido.sim.behaviour.services import Crash, Service, ServiceProcess
from kaido.sim.behaviour.shell_process import ShellProcess

__all__ = [
    "BAD_RELEASE",
    "PRESETS",
    "Behaviour",
    "Crash",
    "Exit",
    "HttpReply",
    "Image",
    "ImageCatalog",
    "ImageEntry",
    "ImageRef",
    "InvalidImageError",
    "Launch",
    "Output",
    "Overload",
    "Process",
    "PullFailure",
    "Requests",
    "Service",
    "ServiceProcess",
    "Serving",
    "ShellProcess",
    "Usage",
    "default_catalog",
    "default_entries",
    "overload",
    "parse_image",
]
