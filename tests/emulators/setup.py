"""Prepares a freshly started object-store emulator for one test (see tests/emulators.rs):
creates its bucket or container and the credentials the test uses, and prints them as JSON.

    python setup.py azurite ENDPOINT ACCOUNT KEY CONTAINER
        creates CONTAINER; prints {"sas": ..., "wrong_sas": ...}: container SAS tokens signed
        with KEY and with another key
    python setup.py moto ENDPOINT BUCKET
        creates an IAM user with an access key allowed everything, and one denied reading
        BUCKET/lake/silver/customers, then BUCKET, then turns on moto's authentication (off by
        default: any key would do); prints {"access_key_id": ..., "secret_access_key": ...,
        "restricted_access_key_id": ..., "restricted_secret_access_key": ...}

Python, because both need a signed request (Shared Key, SigV4) that the SDKs make for us.
"""

import datetime as dt
import json
import os
import sys
import urllib.request


def azurite(endpoint: str, account: str, key: str, container: str) -> dict:
    from azure.storage.blob import BlobServiceClient, ContainerSasPermissions, generate_container_sas

    connection = f"DefaultEndpointsProtocol=http;AccountName={account};AccountKey={key};BlobEndpoint={endpoint};"
    BlobServiceClient.from_connection_string(connection).create_container(container)
    permission = ContainerSasPermissions(read=True, add=True, create=True, write=True, delete=True, list=True)
    expiry = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=2)

    def sas(signing_key: str) -> str:
        return generate_container_sas(account, container, account_key=signing_key, permission=permission, expiry=expiry)

    # Another valid-looking key: the token's shape is right, its signature is not.
    wrong_key = "bGFrZXNob3JlLXdyb25nLWtleS1sYWtlc2hvcmUtd3Jvbmcta2V5LWxha2VzaG9yZS13cm9uZw=="
    return {"sas": sas(key), "wrong_sas": sas(wrong_key)}


# The folder the second moto user may not read (tests/emulators.rs: RESTRICTED_TABLE).
RESTRICTED_FOLDER = "lake/silver/customers"


def moto(endpoint: str, bucket: str) -> dict:
    import boto3

    def client(service: str):
        # Moto takes any key until authentication is turned on below.
        return boto3.client(
            service, endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="setup", aws_secret_access_key="setup"
        )

    iam = client("iam")
    iam.create_user(UserName="lakeshore")
    key = iam.create_access_key(UserName="lakeshore")["AccessKey"]
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    iam.put_user_policy(UserName="lakeshore", PolicyName="everything", PolicyDocument=json.dumps(policy))
    # A second user, whose policy denies reading one table's folder: for tests of a table the
    # credentials may not read, next to tables they may.
    iam.create_user(UserName="analyst")
    restricted = iam.create_access_key(UserName="analyst")["AccessKey"]
    deny = {"Effect": "Deny", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/{RESTRICTED_FOLDER}/*"}
    restricted_policy = {"Version": "2012-10-17", "Statement": [*policy["Statement"], deny]}
    iam.put_user_policy(UserName="analyst", PolicyName="all-but-one", PolicyDocument=json.dumps(restricted_policy))
    client("s3").create_bucket(Bucket=bucket)
    # From now on every request must be signed by a key of an IAM user (moto's server API).
    request = urllib.request.Request(
        f"{endpoint}/moto-api/reset-auth", data=b"0", method="POST", headers={"Content-Type": "text/plain"}
    )
    urllib.request.urlopen(request).read()
    return {
        "access_key_id": key["AccessKeyId"],
        "secret_access_key": key["SecretAccessKey"],
        "restricted_access_key_id": restricted["AccessKeyId"],
        "restricted_secret_access_key": restricted["SecretAccessKey"],
    }


def main() -> None:
    kind, *args = sys.argv[1:]
    result = {"azurite": azurite, "moto": moto}[kind](*args)
    print(json.dumps(result), flush=True)
    # As in delta_writer.py: skip the interpreter's teardown of native threads.
    os._exit(0)


if __name__ == "__main__":
    main()
