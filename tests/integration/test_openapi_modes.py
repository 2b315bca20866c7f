"""The OpenAPI document declares the security scheme of the mode it was generated for: SigV4, or a JWT bearer."""

from infra.config import load_cdk_json_config
from liveness_local.openapi import SECURITY_SCHEME, USER_POOL_SCHEME, documented_app, openapi_document

APP = documented_app(load_cdk_json_config())


def test_iam_mode_declares_sigv4() -> None:
    document = openapi_document(APP, "IAM")

    assert document["security"] == [{SECURITY_SCHEME: []}]
    assert document["components"]["securitySchemes"] == {
        SECURITY_SCHEME: {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "AWS SigV4 (service execute-api); API Gateway authorizes the caller with IAM.",
            "x-amazon-apigateway-authtype": "awsSigv4",
        }
    }


def test_cognito_mode_declares_a_jwt_bearer_and_no_sigv4() -> None:
    document = openapi_document(APP, "COGNITO")

    assert document["security"] == [{USER_POOL_SCHEME: []}]
    (scheme,) = document["components"]["securitySchemes"].values()
    assert (scheme["type"], scheme["scheme"], scheme["bearerFormat"]) == ("http", "bearer", "JWT")
    assert "SigV4" not in document["info"]["description"]
    iam = openapi_document(APP, "IAM")
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            # API Gateway's own 401 for a missing or bad token; otherwise the same routes and answers.
            unauthorized = operation["responses"].pop("401")
            assert unauthorized["content"] == iam["paths"][path][method]["responses"]["403"]["content"]
            assert "401" not in iam["paths"][path][method]["responses"]
            assert operation == iam["paths"][path][method]
