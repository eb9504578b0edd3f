// swift-tools-version:5.9
import PackageDescription

let package = Package(
    name: "dicomcrawler",
    products: [
        .executable(name: "dicomcrawler", targets: ["dicomcrawler"]),
        .executable(name: "dicomcrawler-decoder", targets: ["dicomcrawler-decoder"]),
        .library(name: "DICOM", targets: ["DICOM"]),
        .library(name: "PixelCodecs", targets: ["PixelCodecs"]),
        .library(name: "HDF5", targets: ["HDF5"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CMagic", path: "Sources/CMagic", pkgConfig: "libmagic", providers: [.apt(["libmagic-dev"])]),
        .systemLibrary(name: "CLibDeflate", path: "Sources/CLibDeflate", pkgConfig: "libdeflate", providers: [.apt(["libdeflate-dev"])]),
        .systemLibrary(name: "CHDF5", path: "Sources/CHDF5", providers: [.apt(["libhdf5-dev"])]),
        .target(name: "DICOM", dependencies: ["CZlib"]),
        // GDCM (libgdcm-dev) has no pkg-config file: its headers are included by their path under
        // /usr/include (<gdcm-3.0/...>), which needs no search path.
        .target(
            name: "CGDCM",
            linkerSettings: [
                .linkedLibrary("gdcmMSFF"), .linkedLibrary("gdcmDSED"), .linkedLibrary("gdcmCommon"),
                .linkedLibrary("gdcmIOD"), .linkedLibrary("gdcmDICT"),
            ]),
        .target(name: "PixelCodecs", dependencies: ["CGDCM", "DICOM"]),
        .target(name: "HDF5", dependencies: ["CHDF5", "CZlib", "CLibDeflate"]),
        .target(name: "DICOMTestSupport", dependencies: ["DICOM", "CZlib"]),
        .target(name: "ModalityTemplates", dependencies: ["DICOM"]),
        .target(name: "CSysShims"),
        .target(name: "DICOMCrawler", dependencies: ["DICOM", "ModalityTemplates", "CMagic", "CSysShims", "HDF5", "CHDF5", "CZlib", "CLibDeflate"]),
        .executableTarget(
            name: "dicomcrawler",
            dependencies: ["DICOM", "DICOMCrawler", "ModalityTemplates", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        // export's decoder helper: the only executable that links GDCM (whose libraries cost ~20 ms
        // to load, which every crawl would pay otherwise).
        .executableTarget(name: "dicomcrawler-decoder", dependencies: ["DICOM", "DICOMCrawler", "PixelCodecs"]),
        .executableTarget(name: "dicom-bench", dependencies: ["DICOM", "BenchSupport"], path: "Benchmarks/dicom-bench"),
        .target(name: "BenchSupport", dependencies: ["DICOM"], path: "Benchmarks/BenchSupport"),
        .executableTarget(name: "crawl-bench", dependencies: ["DICOM", "DICOMTestSupport", "DICOMCrawler", "BenchSupport"], path: "Benchmarks/crawl-bench"),
        .executableTarget(name: "scale-bench", dependencies: ["DICOM", "DICOMTestSupport", "BenchSupport"], path: "Benchmarks/scale-bench"),
        .executableTarget(name: "pixel-bench", dependencies: ["DICOM", "DICOMTestSupport"], path: "Benchmarks/pixel-bench"),
        .executableTarget(name: "export-bench", dependencies: ["DICOM", "DICOMTestSupport", "BenchSupport", "PixelCodecs", "HDF5"], path: "Benchmarks/export-bench",
                          exclude: ["old_tool.py"]),
        .executableTarget(name: "series-bench", dependencies: ["DICOM", "DICOMTestSupport", "BenchSupport"], path: "Benchmarks/series-bench"),
        .executableTarget(name: "codec-bench", dependencies: ["DICOM", "DICOMTestSupport", "PixelCodecs", "HDF5", "BenchSupport"], path: "Benchmarks/codec-bench"),
        .executableTarget(name: "make-examples", dependencies: ["DICOM", "DICOMTestSupport"], path: "Tools/make-examples"),
        .executableTarget(name: "dicom-fuzz", dependencies: ["DICOM"], path: "Fuzz"),
        .testTarget(name: "DICOMTests", dependencies: ["DICOM", "DICOMTestSupport"]),
        .testTarget(name: "ModalityTemplatesTests", dependencies: ["ModalityTemplates"]),
        .testTarget(name: "DICOMCrawlerTests", dependencies: ["DICOMCrawler", "DICOM", "DICOMTestSupport"]),
        .testTarget(name: "CommandTests", dependencies: ["dicomcrawler", "dicomcrawler-decoder", "DICOMTestSupport"]),
        .testTarget(name: "PixelCodecsTests", dependencies: ["PixelCodecs", "DICOM", "DICOMTestSupport"]),
        .testTarget(name: "HDF5Tests", dependencies: ["HDF5", "DICOMTestSupport"]),
        // Scripts/release.sh's tarball and .deb, compared with the development build's executables.
        .testTarget(name: "ReleaseTests", dependencies: ["dicomcrawler", "dicomcrawler-decoder", "DICOMTestSupport"]),
    ]
)
