"""One labelling rule: applied by transformation, per cloud in the cloud's own property."""
import pulumi

from components import tags


def test_aws_and_azure_tags_keep_explicit_values():
    props = {"tags": {"team": "ml", "residency": "eu"}, "bucket": "b"}
    assert tags.apply_labels("aws:s3/bucket:Bucket", props, tags.standard_labels("dev", "us", "c1"))
    assert props["tags"] == {"team": "ml", "residency": "eu", "cell": "c1", "environment": "dev", "managed-by": "pulumi"}
    props = {"tags": None}
    assert tags.apply_labels("azure-native:storage:StorageAccount", props, tags.standard_labels("prod", "in"))
    assert props["tags"] == {"environment": "prod", "managed-by": "pulumi", "residency": "in"}


def test_gcp_labels_and_gke_resource_labels_are_lower_case():
    props = {"labels": None}
    assert tags.apply_labels("gcp:storage/bucket:Bucket", props, {"Cell": "GCP-Euw1", "residency": "eu"})
    assert props["labels"] == {"cell": "gcp-euw1", "residency": "eu"}
    props = {"resource_labels": None}
    assert tags.apply_labels("gcp:container/cluster:Cluster", props, {"residency": "eu"})
    assert props["resource_labels"] == {"residency": "eu"}


def test_kubernetes_metadata_labels():
    props = {"metadata": {"name": "x", "labels": {"app": "a"}}}
    assert tags.apply_labels("kubernetes:core/v1:Namespace", props, {"residency": "in"})
    assert props["metadata"] == {"name": "x", "labels": {"residency": "in", "app": "a"}}


def test_untaggable_resources_untouched():
    props = {"bucket": "b"}
    assert not tags.apply_labels("aws:s3/bucketPolicy:BucketPolicy", props, {"residency": "us"})
    assert props == {"bucket": "b"}
    assert not tags.apply_labels("pulumi:providers:aws", {"tags": None}, {"residency": "us"})
    assert not tags.apply_labels("kubernetes:helm.sh/v3:Chart", {"metadata": None}, {"residency": "us"})


def test_standard_labels():
    assert tags.standard_labels("dev", "eu", "gcp-europe-west1") == {
        "environment": "dev", "managed-by": "pulumi", "residency": "eu", "cell": "gcp-europe-west1"}


def test_transformation_returns_result_only_for_labelable():
    t = tags.labels_transformation({"residency": "us"})
    args = pulumi.ResourceTransformationArgs(None, "aws:kms/key:Key", "k", {"tags": None, "description": "d"},
                                             pulumi.ResourceOptions())
    result = t(args)
    assert result.props["tags"] == {"residency": "us"} and result.props["description"] == "d"
    args = pulumi.ResourceTransformationArgs(None, "aws:kms/alias:Alias", "a", {"name": "alias/x"},
                                             pulumi.ResourceOptions())
    assert t(args) is None
