"""Entry point: config -> cells -> global traffic -> exports. No cloud logic here."""
from components.assemble import build
from components.stack_config import load_stack_config

build(load_stack_config())
