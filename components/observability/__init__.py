"""Cloud-neutral observability: SLO burn-rate rules and the global dashboard (pure: no pulumi).

Each cloud's `clouds/<cloud>/observability.py` stores its cell's metrics in the cell's region and
turns `slo.alert_rules(...)` into that cloud's rule objects (AMP rule groups, Cloud Monitoring
PromQL policies, Azure Prometheus rule groups); `dashboard.grafana_dashboard(...)` is the one
global view, exported by the stack.
"""
