"""A stack's deploy role, scoped to its own state and secrets key (README "Permissions and trust").

`deploy/aws-deployer/*.json` grant what the stack's resources need; this policy, put on the
same role, grants the Pulumi bookkeeping: the stack's own `awskms://alias/pulumi-platform-STACK`
key (encrypt/decrypt its secrets) and its own objects in the S3 state backend, and read-only what
it reads through StackReference (`platform:cell_stacks`: their state and kms:Decrypt of their
keys, which the backend needs to read their outputs). So the `dev` role (no reviewers) can neither
decrypt a prod stack's secrets nor write, lock or delete its state.

Self-managed (DIY) backend layout, project-scoped: `.pulumi/stacks/<project>/<stack>.json` (and its
`.bak`), `.pulumi/history/<project>/<stack>/`, `.pulumi/backups/<project>/<stack>/`,
`.pulumi/locks/<org>/<project>/<stack>/`, and `.pulumi/meta.yaml`.
"""
from __future__ import annotations

import re

PROJECT = "platform"
SECRETS_REGION = "us-east-1"
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_STACK = re.compile(r"^[A-Za-z0-9_.-]+$")
_ACCOUNT = re.compile(r"^(\*|\d{12})$")


def secrets_alias(stack: str) -> str:
    """The alias every stack file names in `secretsprovider` (tests pin the stack files to it)."""
    return f"alias/pulumi-platform-{stack}"


def _objects(bucket: str, stack: str, write: bool) -> list[str]:
    base = f"arn:aws:s3:::{bucket}/.pulumi"
    own = [f"{base}/stacks/{PROJECT}/{stack}.json*"]
    if write:
        own += [f"{base}/history/{PROJECT}/{stack}/*", f"{base}/backups/{PROJECT}/{stack}/*",
                f"{base}/locks/*/{PROJECT}/{stack}/*"]
    return own


def _key_condition(stacks: list[str]) -> dict:
    return {"ForAnyValue:StringEquals": {"kms:ResourceAliases": [secrets_alias(s) for s in stacks]}}


def policy(stack: str, reads: list[str], *, bucket: str, account: str = "*") -> dict:
    """The IAM policy document for `stack`'s deploy role; `reads` are the stacks it references."""
    if not _STACK.match(stack) or not all(_STACK.match(s) for s in reads):
        raise ValueError(f"stack names must match {_STACK.pattern}: {[stack, *reads]}")
    if not _BUCKET.match(bucket):
        raise ValueError(f"--bucket {bucket!r}: an S3 bucket name (3-63 of a-z, 0-9, '.', '-')")
    if not _ACCOUNT.match(account):
        raise ValueError(f"--account {account!r}: a 12-digit AWS account id")
    keys = f"arn:aws:kms:{SECRETS_REGION}:{account}:key/*"
    statements = [
        {"Sid": "OwnSecretsKey", "Effect": "Allow",
         "Action": ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey"],
         "Resource": keys, "Condition": _key_condition([stack])},
        {"Sid": "OwnState", "Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
         "Resource": _objects(bucket, stack, write=True)},
        {"Sid": "BackendMetadata", "Effect": "Allow", "Action": ["s3:GetObject"],
         "Resource": [f"arn:aws:s3:::{bucket}/.pulumi/meta.yaml"]},
        {"Sid": "ListStateNames", "Effect": "Allow", "Action": ["s3:ListBucket"],
         "Resource": f"arn:aws:s3:::{bucket}", "Condition": {"StringLike": {"s3:prefix": [".pulumi/*"]}}},
    ]
    if reads:
        statements += [
            {"Sid": "ReadReferencedStacksSecrets", "Effect": "Allow", "Action": ["kms:Decrypt"],
             "Resource": keys, "Condition": _key_condition(sorted(reads))},
            {"Sid": "ReadReferencedStacksState", "Effect": "Allow", "Action": ["s3:GetObject"],
             "Resource": [o for s in sorted(reads) for o in _objects(bucket, s, write=False)]},
        ]
    return {"Version": "2012-10-17", "Statement": statements}
