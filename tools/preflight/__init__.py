"""`make preflight`: what a first `cdk deploy` would trip on, checked with the person's own AWS credentials before
CloudFormation starts (and rolls back minutes later).

It makes only read calls (STS GetCallerIdentity, SSM GetParameter, Lambda GetAccountSettings, Service Quotas
ListServiceQuotas, IAM GetRole and SimulatePrincipalPolicy, Rekognition GetFaceLivenessSessionResults of a session
that does not exist) and prints one line per check; each problem's line says how to fix it.

- `assembly.py`: what the synthesized cloud assembly (cdk.out) says a deploy needs: the bootstrap roles and version.
- `checks.py`: the checks, each over the clients it needs, returning its findings.
- `__main__.py`: the command.
"""
