// swift-tools-version:5.9
import PackageDescription

let package = Package(
    name: "dicomcrawler",
    products: [
        .executable(name: "dicomcrawler", targets: ["dicomcrawler"]),
        .library(name: "DICOM", targets: ["DICOM"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CMagic", path: "Sources/CMagic", pkgConfig: "libmagic", providers: [.apt(["libmagic-dev"])]),
        .target(name: "DICOM", dependencies: ["CZlib"]),
        .target(name: "DICOMTestSupport", dependencies: ["DICOM", "CZlib"]),
        .target(name: "ModalityTemplates", dependencies: ["DICOM"]),
        .target(name: "CSysShims"),
        .target(name: "DICOMCrawler", dependencies: ["DICOM", "ModalityTemplates", "CMagic", "CSysShims"]),
        .executableTarget(
            name: "dicomcrawler",
            dependencies: ["DICOM", "DICOMCrawler", "ModalityTemplates", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(name: "dicom-bench", dependencies: ["DICOM"], path: "Benchmarks/dicom-bench"),
        .target(name: "BenchSupport", path: "Benchmarks/BenchSupport"),
        .executableTarget(name: "crawl-bench", dependencies: ["DICOM", "DICOMTestSupport", "DICOMCrawler", "BenchSupport"], path: "Benchmarks/crawl-bench"),
        .executableTarget(name: "scale-bench", dependencies: ["DICOM", "DICOMTestSupport", "BenchSupport"], path: "Benchmarks/scale-bench"),
        .executableTarget(name: "pixel-bench", dependencies: ["DICOM", "DICOMTestSupport"], path: "Benchmarks/pixel-bench"),
        .executableTarget(name: "make-examples", dependencies: ["DICOM", "DICOMTestSupport"], path: "Tools/make-examples"),
        .executableTarget(name: "dicom-fuzz", dependencies: ["DICOM"], path: "Fuzz"),
        .testTarget(name: "DICOMTests", dependencies: ["DICOM", "DICOMTestSupport"]),
        .testTarget(name: "ModalityTemplatesTests", dependencies: ["ModalityTemplates"]),
        .testTarget(name: "DICOMCrawlerTests", dependencies: ["DICOMCrawler", "DICOM", "DICOMTestSupport"]),
        .testTarget(name: "CommandTests", dependencies: ["dicomcrawler", "DICOMTestSupport"]),
    ]
)
