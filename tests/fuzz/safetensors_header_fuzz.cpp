// model.safetensors: the 8-byte header length, the JSON header and the tensor
// entries it describes, through the same open() every loader uses (the input
// is written to a file, since the header is read from a memory map).
#include "harness/io/dtype.h"
#include "harness/io/safetensors_file.h"
#include "tests/fuzz/fuzz_support.h"

using namespace moebench;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto path = fuzz::scratch_dir() / "model.safetensors";
  fuzz::write_file(path, fuzz::as_text(data, size));
  fuzz::reject_only_with_input_error([&] {
    const auto file = io::SafetensorsFile::open(path);
    volatile unsigned char sink = 0;
    for (const std::string& name : file->names()) {
      const io::TensorView view = file->get(name);
      // open() promises: every view lies inside the file, nbytes = numel * dtype size.
      MOEBENCH_FUZZ_CHECK(view.numel() >= 0);
      MOEBENCH_FUZZ_CHECK(view.nbytes == static_cast<size_t>(view.numel()) * io::dtype_size(view.dtype));
      MOEBENCH_FUZZ_CHECK(view.nbytes <= size);
      if (view.nbytes > 0) {
        sink = sink ^ static_cast<unsigned char>(view.data[0]) ^
               static_cast<unsigned char>(view.data[view.nbytes - 1]);
      }
    }
    for (const auto& [key, value] : file->metadata()) sink = sink ^ static_cast<unsigned char>(key.size() + value.size());
    // A missing name is an InputError with a "did you mean" suggestion.
    if (!file->names().empty()) file->get(file->names().front() + "x");
  });
  return 0;
}
