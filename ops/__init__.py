"""Operations CLI: what runs against real clouds after `pulumi up` (beside the offline engine).

`python -m ops smoke STACK --outputs FILE` checks, from where it runs, that every cell serves:
see ops/smoke.py.
"""
