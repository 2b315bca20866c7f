"""Who a browser or phone is: the Cognito user pool that signs users in, and the identity pool that gives them
short-lived AWS credentials to stream to Face Liveness (and, in IAM mode, to sign their calls to the API).

`UserPoolAuth` is the stack's own pool and public app client (`authorization=COGNITO` or
`identityPool=authenticated`), or the existing pool named by `userPoolArn`. `IdentityPool` is built after the API,
because in IAM mode its roles may invoke exactly this API's routes. `GuestAddressKey` is the secret keying the
handler's per-address limit where guests call the API (IAM guest mode). The README's "Use it from a web app"
shows the client side of each mode.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final, cast

from aws_cdk import Annotations, Duration, Stack
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from infra.constructs.api import INVOKE, STAGE_NAME, LivenessApi
from infra.constructs.function import LivenessFunction
from infra.constructs.storage import Retention, key_admin_statement
from liveness_api import contract
from liveness_api.adapters.address_key import MIN_KEY_LENGTH
from liveness_api.environment import EnvVar

COGNITO_IDENTITY: Final = "cognito-identity.amazonaws.com"
START_STREAM: Final = "rekognition:StartFaceLivenessSession"
# Token lifetimes of the stack's app client. A liveness check takes minutes; Amplify refreshes tokens on its own.
ID_TOKEN_MINUTES: Final = 15
ACCESS_TOKEN_MINUTES: Final = 15
REFRESH_TOKEN_DAYS: Final = 7
# Cognito's floor is 8; NIST SP 800-63B asks for at least 8 and favours length, so 12 with every character class.
PASSWORD_MIN_LENGTH: Final = 12
# The address key's length: twice the shortest the function accepts.
ADDRESS_KEY_LENGTH: Final = 2 * MIN_KEY_LENGTH
# What writing and reading a secret encrypted with a customer-managed key take from the key (Secrets Manager acts
# with the caller's credentials): https://docs.aws.amazon.com/secretsmanager/latest/userguide/security-encryption.html
SECRET_KEY_USE_ACTIONS: Final = ("kms:Decrypt", "kms:GenerateDataKey")
# What synth prints (a CDK warning) when unauthenticated identities are allowed.
GUEST_WARNING: Final = (
    "identityPool=guest: anyone who can reach the identity pool gets AWS credentials without signing in. Minting "
    "a guest identity costs nothing, so a limit keyed on one is bypassed by asking for another: in IAM mode the "
    "session owner is that guest identity, and only the per-address limit, WAF's rate rule (waf on) and the route "
    "throttles stand between an abuser and your Face Liveness bill and quota. The guest role may only start Face "
    "Liveness streams (for any session of the account: the action has no resource-level permission) and, with "
    "authorization=IAM, invoke this API's routes. With authorization=IAM the identity pool also allows "
    "Cognito's basic (classic) flow, because the enhanced flow's session policy for guests does not include "
    "execute-api. Use identityPool=authenticated unless your app truly has no sign-in."
)


def amr_principal(identity_pool: cognito.CfnIdentityPool, amr: str) -> iam.FederatedPrincipal:
    """Only identities of this identity pool (`aud`) with this authentication state (`amr`) may assume the role."""
    return iam.FederatedPrincipal(
        COGNITO_IDENTITY,
        conditions={
            "StringEquals": {f"{COGNITO_IDENTITY}:aud": identity_pool.ref},
            "ForAnyValue:StringLike": {f"{COGNITO_IDENTITY}:amr": amr},
        },
        assume_role_action="sts:AssumeRoleWithWebIdentity",
    )


def route_invoke_arns(api: LivenessApi) -> list[str]:
    """Each route's exact execute-api ARN on the stage: method and path, path parameters as `*`."""
    return [
        api.rest_api.arn_for_execute_api(route.method, re.sub(r"{\w+}", "*", route.path), STAGE_NAME)
        for route in contract.Routes.ALL
    ]


@dataclass(frozen=True)
class UserPoolProps:
    """`existing_pool_arn` and its `existing_client_ids`: a pool to use rather than create. The others shape the pool
    the stack creates: `name` (the stack's) names it and its client, `mfa_required` or optional."""

    name: str
    retention: Retention
    self_sign_up: bool
    mfa_required: bool
    existing_pool_arn: str | None
    existing_client_ids: tuple[str, ...]


@dataclass(frozen=True)
class IdentityPoolProps:
    """`guests`: unauthenticated identities get the guest role; `invoke_api`: the roles may invoke the API's routes
    (authorization=IAM), else only stream."""

    name: str
    guests: bool
    invoke_api: bool


class UserPoolAuth(Construct):
    """The user pool and the app clients whose tokens the API's authorizer and the identity pool accept."""

    def __init__(self, scope: Construct, construct_id: str, *, props: UserPoolProps) -> None:
        super().__init__(scope, construct_id)
        self.created = props.existing_pool_arn is None
        self.client: cognito.UserPoolClient | None = None
        if props.existing_pool_arn is not None:
            self.user_pool: cognito.IUserPool = cognito.UserPool.from_user_pool_arn(
                self, "ExistingUserPool", props.existing_pool_arn
            )
            self.client_ids: list[str] = list(props.existing_client_ids)
            return
        retain = props.retention.retain
        pool = cognito.UserPool(
            self,
            "UserPool",
            user_pool_name=props.name,
            self_sign_up_enabled=props.self_sign_up,
            sign_in_aliases=cognito.SignInAliases(email=True),
            sign_in_case_sensitive=False,
            auto_verify=cognito.AutoVerifiedAttrs(email=True),
            standard_attributes=cognito.StandardAttributes(
                email=cognito.StandardAttribute(required=True, mutable=True)
            ),
            password_policy=cognito.PasswordPolicy(
                min_length=PASSWORD_MIN_LENGTH,
                require_lowercase=True,
                require_uppercase=True,
                require_digits=True,
                require_symbols=True,
                temp_password_validity=Duration.days(3),
            ),
            mfa=cognito.Mfa.REQUIRED if props.mfa_required else cognito.Mfa.OPTIONAL,
            # Authenticator apps only: SMS needs an SNS role, a spending limit and sandbox exits, and is phishable.
            mfa_second_factor=cognito.MfaSecondFactor(otp=True, sms=False),
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            feature_plan=cognito.FeaturePlan.ESSENTIALS,
            deletion_protection=retain,
            removal_policy=props.retention.removal_policy,
        )
        self.user_pool = pool
        self.client = pool.add_client(
            "WebClient",
            user_pool_client_name=f"{props.name}-web",
            # A browser or phone cannot keep a secret: a public client, signing in with SRP (no password sent).
            generate_secret=False,
            auth_flows=cognito.AuthFlow(user_srp=True),
            # No hosted UI or OAuth flows: nothing redirects anywhere (CDK would otherwise enable code and implicit
            # grants with a placeholder callback).
            disable_o_auth=True,
            prevent_user_existence_errors=True,
            enable_token_revocation=True,
            id_token_validity=Duration.minutes(ID_TOKEN_MINUTES),
            access_token_validity=Duration.minutes(ACCESS_TOKEN_MINUTES),
            refresh_token_validity=Duration.days(REFRESH_TOKEN_DAYS),
            auth_session_validity=Duration.minutes(3),
        )
        self.client_ids = [self.client.user_pool_client_id]

    @property
    def provider_name(self) -> str:
        """The pool as an identity-pool provider: `cognito-idp.<region>.amazonaws.com/<poolId>`."""
        return self.user_pool.user_pool_provider_name


class IdentityPool(Construct):
    """An identity pool whose roles may start Face Liveness streams and, in IAM mode, invoke the API's routes.

    The authenticated role exists when a user pool is federated (`authenticated`, or `guest` with COGNITO): then
    `federated` is that pool. The unauthenticated role only with guests. Each role trusts only this pool's
    identities of its own kind."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        props: IdentityPoolProps,
        federated: UserPoolAuth | None,
        api: LivenessApi,
    ) -> None:
        super().__init__(scope, construct_id)
        guest = props.guests
        self._props = props
        self._route_arns = route_invoke_arns(api)
        providers = (
            [
                cognito.CfnIdentityPool.CognitoIdentityProviderProperty(
                    client_id=client_id,
                    provider_name=federated.provider_name,
                    # Cognito checks with the user pool that the token was not revoked (global sign-out).
                    server_side_token_check=True,
                )
                for client_id in federated.client_ids
            ]
            if federated is not None
            else None
        )
        self.pool = cognito.CfnIdentityPool(
            self,
            "IdentityPool",
            identity_pool_name=props.name.replace("-", "_"),
            allow_unauthenticated_identities=guest,
            # The enhanced flow scopes guest credentials down to a fixed list of services that does not include
            # execute-api (AmazonCognitoUnAuthedIdentitiesSessionPolicy), so guests could never call the API in IAM
            # mode; the basic flow applies only the role's own policy, which is exactly as narrow.
            allow_classic_flow=guest and props.invoke_api,
            cognito_identity_providers=providers,
        )
        self.policies: dict[str, iam.Policy] = {}
        self.authenticated_role = self._role("AuthenticatedRole", "authenticated") if providers else None
        self.unauthenticated_role = self._role("GuestRole", "unauthenticated") if guest else None
        roles = {
            key: role.role_arn
            for key, role in (
                ("authenticated", self.authenticated_role),
                ("unauthenticated", self.unauthenticated_role),
            )
            if role is not None
        }
        cognito.CfnIdentityPoolRoleAttachment(self, "Roles", identity_pool_id=self.pool.ref, roles=roles)
        if guest:
            Annotations.of(self).add_warning_v2("FaceLiveness:GuestIdentities", GUEST_WARNING)

    def _role(self, construct_id: str, amr: str) -> iam.Role:
        iam_mode = self._props.invoke_api
        role = iam.Role(
            self,
            construct_id,
            description=f"{self._props.name}: Cognito {amr} identities: start Face Liveness streams"
            + (" and invoke the API" if iam_mode else ""),
            assumed_by=amr_principal(self.pool, amr),
            max_session_duration=Duration.hours(1),
        )
        statements = [
            # StartFaceLivenessSession has no resource-level permissions.
            iam.PolicyStatement(sid="StartFaceLivenessStreams", actions=[START_STREAM], resources=["*"])
        ]
        if iam_mode:
            statements.append(
                iam.PolicyStatement(sid="InvokeTheApiRoutes", actions=[INVOKE], resources=self._route_arns)
            )
        policy = iam.Policy(self, f"{construct_id}Policy", statements=statements)
        role.attach_inline_policy(policy)
        self.policies[amr] = policy
        return role

    @property
    def roles(self) -> list[iam.Role]:
        return [role for role in (self.authenticated_role, self.unauthenticated_role) if role is not None]

    @property
    def identity_pool_id(self) -> str:
        return self.pool.ref


class GuestAddressKey(Construct):
    """Guest mode's per-address abuse limit counts client addresses as HMACs under this key (see the handler's
    `adapters/address_key.py`): a Secrets Manager secret generated at deploy time, never in the template, the
    environment or the logs, encrypted with a KMS key of its own. The function gets its ARN and may read exactly
    this secret, once per container, and decrypt through Secrets Manager this secret's values alone.

    A key of its own rather than the image key: Secrets Manager encrypts with the credentials of whoever writes the
    secret (CloudFormation at deploy, an operator rotating it), so the key policy must let IAM grant use of the key
    through Secrets Manager. On a dedicated key that opens nothing else; on the image key it would add IAM-delegated
    use to the key whose policy otherwise names the function alone."""

    def __init__(
        self, scope: Construct, construct_id: str, *, name: str, retention: Retention, function: LivenessFunction
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        via_secrets_manager = f"secretsmanager.{stack.region}.amazonaws.com"
        self.key = kms.Key(
            self,
            "Key",
            description=f"{name}: guest mode's address-key secret",
            enable_key_rotation=True,
            # Passing a policy stops CDK from adding its default `kms:*` statement for the account.
            policy=iam.PolicyDocument(
                statements=[
                    key_admin_statement(),
                    # Secrets Manager encrypts and decrypts with the credentials of whoever writes or reads the secret
                    # (the deployment, an operator rotating it, the function): IAM policies decide who, and only
                    # through Secrets Manager. The function's own policy allows it this secret's values alone.
                    iam.PolicyStatement(
                        sid="UseThroughSecretsManagerAsIamAllows",
                        principals=[iam.AccountRootPrincipal()],
                        actions=list(SECRET_KEY_USE_ACTIONS),
                        resources=["*"],
                        conditions={"StringEquals": {"kms:ViaService": via_secrets_manager}},
                    ),
                ]
            ),
            removal_policy=retention.removal_policy,
        )
        self.secret = secretsmanager.Secret(
            self,
            "Secret",
            description=f"{name}: the key of guest mode's client-address HMACs",
            generate_secret_string=secretsmanager.SecretStringGenerator(
                password_length=ADDRESS_KEY_LENGTH, exclude_punctuation=True
            ),
            removal_policy=retention.removal_policy,
        )
        # Named on the resource rather than as `encryption_key`, with which CDK would add its own, broader statement
        # (kms:Encrypt, ReEncrypt*, CreateGrant for the account) to the key policy.
        cast(secretsmanager.CfnSecret, self.secret.node.default_child).kms_key_id = self.key.key_arn
        function.function.add_environment(EnvVar.ADDRESS_KEY_SECRET, self.secret.secret_arn)
        function.policy.add_statements(
            iam.PolicyStatement(
                sid="ReadTheAddressKey", actions=["secretsmanager:GetSecretValue"], resources=[self.secret.secret_arn]
            ),
            iam.PolicyStatement(
                sid="DecryptTheAddressKeyThroughSecretsManager",
                actions=["kms:Decrypt"],
                resources=[self.key.key_arn],
                # Secrets Manager's encryption context names the secret: this secret's values only.
                conditions={
                    "StringEquals": {
                        "kms:ViaService": via_secrets_manager,
                        "kms:EncryptionContext:SecretARN": self.secret.secret_arn,
                    }
                },
            ),
        )
