"""torchvision's public names, vendored: what the compile-only torchvision snippets are checked against.

No CPU build of torchvision installs beside the torch 2.13.0 the tests use, so those snippets
cannot run here (rules/README.md, "The snippet test"). The cheapest check that can still fail is
to resolve every torchvision name they use against the library's real public API:
tests/test_snippet_spec.py does that with this table, so a misspelt transform, a removed class
(`transforms.ToTensor` is deprecated in v2, `pretrained=` gone) or a weights member that does
not exist fails the core suite.

Sources (pytorch/vision, read from the repository):
- torchvision/transforms/v2/__init__.py at 02526afc628f40f4100593450b2228e07cc9901f (the names it imports;
  `ToTensor` comes from `_deprecated` and is left out on purpose: a snippet must not use it)
- torchvision/datasets/__init__.py at 01086116d51942f44af235848b1fe91fc2ed2bf6 (`__all__`)
- torchvision/models/resnet.py `__all__` (the ResNet family)
Weights members: the model pages, e.g. https://pytorch.org/vision/stable/models/generated/torchvision.models.resnet50.html
"""

from __future__ import annotations

MODULES: dict[str, frozenset[str]] = {
    "torchvision.transforms.v2": frozenset({
        "Transform", "functional", "AutoAugmentPolicy", "InterpolationMode",
        "CutMix", "MixUp", "RandomErasing", "AugMix", "AutoAugment", "RandAugment", "TrivialAugmentWide",
        "ColorJitter", "Grayscale", "RGB", "RandomAdjustSharpness", "RandomAutocontrast",
        "RandomChannelPermutation", "RandomEqualize", "RandomGrayscale", "RandomInvert",
        "RandomPhotometricDistort", "RandomPosterize", "RandomSolarize",
        "Compose", "RandomApply", "RandomChoice", "RandomOrder",
        "CenterCrop", "ElasticTransform", "FiveCrop", "Pad", "RandomAffine", "RandomCrop",
        "RandomHorizontalFlip", "RandomIoUCrop", "RandomPerspective", "RandomResize", "RandomResizedCrop",
        "RandomRotation", "RandomShortestSize", "RandomVerticalFlip", "RandomZoomOut", "Resize",
        "ScaleJitter", "TenCrop",
        "ClampBoundingBoxes", "ConvertBoundingBoxFormat",
        "ConvertImageDtype", "GaussianBlur", "Identity", "Lambda", "LinearTransformation", "Normalize",
        "SanitizeBoundingBoxes", "ToDtype",
        "UniformTemporalSubsample",
        "PILToTensor", "ToImage", "ToPILImage", "ToPureTensor",
    }),
    "torchvision.datasets": frozenset({
        "LSUN", "LSUNClass", "ImageFolder", "DatasetFolder", "FakeData", "CocoCaptions", "CocoDetection",
        "CIFAR10", "CIFAR100", "EMNIST", "FashionMNIST", "QMNIST", "MNIST", "KMNIST", "STL10", "SVHN",
        "PhotoTour", "SEMEION", "Omniglot", "SBU", "Flickr8k", "Flickr30k", "VOCSegmentation", "VOCDetection",
        "Cityscapes", "ImageNet", "Caltech101", "Caltech256", "CelebA", "WIDERFace", "SBDataset",
        "VisionDataset", "USPS", "Kinetics400", "Kinetics", "HMDB51", "UCF101", "Places365", "Kitti",
        "INaturalist", "LFWPeople", "LFWPairs", "KittiFlow", "Sintel", "FlyingChairs", "FlyingThings3D",
        "HD1K", "Food101", "DTD", "FER2013",
    }),
    "torchvision.models": frozenset({
        "ResNet", "ResNet18_Weights", "ResNet34_Weights", "ResNet50_Weights", "ResNet101_Weights",
        "ResNet152_Weights", "ResNeXt50_32X4D_Weights", "ResNeXt101_32X8D_Weights", "ResNeXt101_64X4D_Weights",
        "Wide_ResNet50_2_Weights", "Wide_ResNet101_2_Weights", "resnet18", "resnet34", "resnet50",
        "resnet101", "resnet152", "resnext50_32x4d", "resnext101_32x8d", "resnext101_64x4d",
        "wide_resnet50_2", "wide_resnet101_2",
    }),
}
# the submodules `from torchvision import X` may name
SUBMODULES = {"transforms", "datasets", "models", "ops", "io", "utils"}
# members of the weights enums the snippets may name
WEIGHTS = {
    "ResNet18_Weights": {"IMAGENET1K_V1", "DEFAULT"},
    "ResNet34_Weights": {"IMAGENET1K_V1", "DEFAULT"},
    "ResNet50_Weights": {"IMAGENET1K_V1", "IMAGENET1K_V2", "DEFAULT"},
    "ResNet101_Weights": {"IMAGENET1K_V1", "IMAGENET1K_V2", "DEFAULT"},
    "ResNet152_Weights": {"IMAGENET1K_V1", "IMAGENET1K_V2", "DEFAULT"},
}


def unresolved(tree) -> list[str]:
    """torchvision names a parsed snippet uses that its public API does not have."""
    import ast

    modules: dict[str, str] = {}  # local name -> torchvision module it stands for
    problems = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "torchvision":
            for alias in node.names:
                local = alias.asname or alias.name
                if node.module == "torchvision":
                    if alias.name not in SUBMODULES:
                        problems.append(f"torchvision.{alias.name}")
                    modules[local] = f"torchvision.{alias.name}"
                elif f"{node.module}.{alias.name}" in MODULES:
                    modules[local] = f"{node.module}.{alias.name}"
                elif node.module not in MODULES:
                    problems.append(f"{node.module} (module not in the vendored table)")
                elif alias.name not in MODULES[node.module]:
                    problems.append(f"{node.module}.{alias.name}")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("torchvision.") and alias.asname:
                    modules[alias.asname] = alias.name
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            owner, name = node.value.id, node.attr
            if owner in modules and modules[owner] in MODULES and name not in MODULES[modules[owner]]:
                problems.append(f"{modules[owner]}.{name}")
            if owner in WEIGHTS and name not in WEIGHTS[owner] and not name.startswith("_"):
                problems.append(f"{owner}.{name}")
    return problems
