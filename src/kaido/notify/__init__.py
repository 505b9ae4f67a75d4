"""Alerts: the alert model, rules, grouping, dedup, silences and delivery channels.

May import: analysis, store, kube, config, core.
"""

from kaido.notify.channels import build_channels as build_channels
from kaido.notify.dispatch import Dispatcher as Dispatcher
from kaido.notify.engine import AlertEngine as AlertEngine
from kaido.notify.inhibition import InhibitRule as InhibitRule
from kaido.notify.model import Alert as Alert
from kaido.notify.model import Notification as Notification
from kaido.notify.rules import MetricSnapshot as MetricSnapshot
from kaido.notify.rules import MetricSource as MetricSource
from kaido.notify.rules import MetricValue as MetricValue
from kaido.notify.silences import Matcher as Matcher
from kaido.notify.silences import MatcherError as MatcherError
from kaido.notify.silences import Silence as Silence
from kaido.notify.silences import SilenceError as SilenceError
from kaido.notify.silences import UnknownSilenceError as UnknownSilenceError
