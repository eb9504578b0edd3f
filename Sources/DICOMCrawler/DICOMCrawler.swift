// DICOMCrawler: the jobs that turn trees of DICOM files into tables, and what they stand on.
// Data flows one way: walk (Walk/) → read header (the DICOM library) → row → table (Output/).
//
//   System/       errno with one retry helper, paths as bytes, directories, file I/O, atomic and
//                 append-only files, the run lock, clocks, the executable's own path, library versions
//   Walk/         the ordered, batched file walk; telling a file's kind from its first bytes
//   Concurrency/  parallelMap, the worker pool, the ordered batch pipeline
//   Output/       table sinks: CSV and JSON lines (a new format is one new sink)
//   Crawl/, Tags/, Sort/   one folder per job: `CrawlJob`, `TagsJob`, `SortJob`, each with its
//                 options, report and progress counters
//
// The library never prints and never exits: jobs return reports and typed errors, and the
// `dicomcrawler` executable turns them into messages and exit statuses. It does not import
// Foundation (a run on an empty directory stays under 10 ms).
