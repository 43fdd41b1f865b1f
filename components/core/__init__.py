"""The pure core: what a stack is, before any resource exists.

catalog (regions, zones, countries), placement (zone strictness, placement checks), config
(schema, load, checks) and routing (model, plan, Route 53 evaluation). No pulumi import, here or
in anything it imports (tests/test_structure.py scans the imports and also loads the core and every
stack's config in an interpreter where pulumi cannot be imported): the core runs in the policy
tooling, the routing proofs and config validation without an engine. Why a separate package
rather than modules beside the components: modules beside them formed config -> routing -> cell -> config,
a circle through pulumi; with the core below everything else the graph is a DAG by construction.
"""
