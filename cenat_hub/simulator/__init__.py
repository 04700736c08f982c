"""Local stand-in for Meta's WhatsApp Cloud API and for leads' phones.

``create_simulator_app`` serves the Graph API routes the hub calls and posts
signed webhooks to the hub. Its ``app.state.simulator`` (a ``SimulatorState``)
lets tests inspect sent messages, play leads and inject failures.
"""

from cenat_hub.simulator.app import create_simulator_app
from cenat_hub.simulator.config import SimulatedNumber, SimulatorConfig, demo_config
from cenat_hub.simulator.leads import LeadPlayer
from cenat_hub.simulator.payloads import LeadMessage
from cenat_hub.simulator.state import SimulatorState
from cenat_hub.simulator.templates import default_templates

__all__ = [
    "LeadMessage",
    "LeadPlayer",
    "SimulatedNumber",
    "SimulatorConfig",
    "SimulatorState",
    "create_simulator_app",
    "default_templates",
    "demo_config",
]
