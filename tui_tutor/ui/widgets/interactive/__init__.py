"""The lesson's interactive widgets, by the names lessons use in `::: interactive` blocks.

Modules are imported only when a lesson shows the widget, so opening the tutor stays fast.
Styles live in `interactive.tcss` next to this file (the host App lists it in CSS_PATH).
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tui_tutor.lesson.widget_options import check_options

if TYPE_CHECKING:
    from textual.widget import Widget

    from tui_tutor.ui.widgets.interactive.base import InteractiveWidget

#: Widget name -> "module:Class".
WIDGETS: dict[str, str] = {
    "neuron-explorer": "tui_tutor.ui.widgets.interactive.neuron_explorer:NeuronExplorer",
    "activation-plot": "tui_tutor.ui.widgets.interactive.activation_plot:ActivationPlot",
    "xor-network": "tui_tutor.ui.widgets.interactive.xor_network:XorNetworkView",
    "huber-plot": "tui_tutor.ui.widgets.interactive.huber_plot:HuberPlot",
    "install-check": "tui_tutor.ui.widgets.interactive.install_check:InstallCheck",
    "playground": "tui_tutor.ui.widgets.interactive.playground:Playground",
}

#: The stylesheet every widget here relies on.
CSS_FILE: Path = Path(__file__).with_name("interactive.tcss")


def widget_class(name: str) -> type[InteractiveWidget]:
    """Import and return the class registered under `name` (KeyError for an unknown name)."""
    module_name, _, class_name = WIDGETS[name].partition(":")
    cls: type[InteractiveWidget] = getattr(import_module(module_name), class_name)  # every entry is one
    return cls


def make_widget(name: str, options: Mapping[str, Any] | None = None, **kwargs: Any) -> Widget:
    """Build the widget a lesson's `interactive` block names; `kwargs` go to Widget (id, classes)."""
    return widget_class(name)(options or {}, **kwargs)


__all__ = ["CSS_FILE", "WIDGETS", "check_options", "make_widget", "widget_class"]
