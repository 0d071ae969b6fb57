#include "harness/io/yaml_input.h"

#include <yaml-cpp/eventhandler.h>

#include <algorithm>
#include <map>
#include <sstream>
#include <vector>

#include "harness/util/error.h"
#include "harness/util/file_input.h"
#include "harness/util/text.h"

namespace moebench::io {
namespace {

// Counts the nodes a full walk of the document would visit, aliases expanded,
// from yaml-cpp's parse events (which report an alias once, unexpanded).
class ExpansionCounter : public YAML::EventHandler {
 public:
  explicit ExpansionCounter(const std::string& where) : where_(where) {}

  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override { leaf(mark, anchor); }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                const std::string& value) override {
    // A "\0" escape would silently cut a path or a name where it reaches the OS.
    if (value.find('\0') != std::string::npos)
      fail(mark, fmt::format("value '{}' contains a NUL character", one_line(value, 80)));
    leaf(mark, anchor);
  }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    auto it = expanded_.find(anchor);
    add(mark, it == expanded_.end() ? 1 : it->second);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    open(mark, anchor);
  }
  void OnSequenceEnd() override { close(); }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    open(mark, anchor);
  }
  void OnMapEnd() override { close(); }

 private:
  struct Open {
    YAML::anchor_t anchor;
    int64_t nodes;
    YAML::Mark mark;
  };

  [[noreturn]] void fail(const YAML::Mark& mark, const std::string& message) const {
    throw InputError(fmt::format("{}:{}: {}", where_, mark.line + 1, message));
  }
  void open(const YAML::Mark& mark, YAML::anchor_t anchor) {
    if (static_cast<int>(open_.size()) >= kMaxYamlDepth)
      fail(mark, fmt::format("YAML nested deeper than {} levels", kMaxYamlDepth));
    open_.push_back({anchor, 1, mark});
  }
  void close() {
    Open done = open_.back();
    open_.pop_back();
    if (done.anchor) expanded_[done.anchor] = done.nodes;
    add(done.mark, done.nodes);
  }
  void leaf(const YAML::Mark& mark, YAML::anchor_t anchor) {
    if (anchor) expanded_[anchor] = 1;
    add(mark, 1);
  }
  // Every open collection holds at most the total, so checking the innermost
  // one (and the document) bounds the whole walk as soon as it is exceeded.
  void add(const YAML::Mark& mark, int64_t nodes) {
    int64_t& count = open_.empty() ? document_nodes_ : open_.back().nodes;
    count = std::min(count + nodes, kMaxYamlNodes + 1);
    if (count > kMaxYamlNodes)
      fail(mark, fmt::format("aliases expand to more than {} nodes (is this a \"billion "
                             "laughs\" file? recipes, plans and suites need far fewer)",
                             kMaxYamlNodes));
  }

  const std::string& where_;
  std::vector<Open> open_;
  std::map<YAML::anchor_t, int64_t> expanded_;
  int64_t document_nodes_ = 0;
};

}  // namespace

YAML::Node parse_yaml_text(const std::string& text, const std::string& where) {
  if (static_cast<int64_t>(text.size()) > kMaxYamlBytes)
    fail_input(where, "YAML text of {} bytes, over the cap of {}", text.size(), kMaxYamlBytes);
  require_utf8(text, where);
  try {
    std::istringstream in(text);
    YAML::Parser parser(in);
    ExpansionCounter counter(where);
    parser.HandleNextDocument(counter);
    return YAML::Load(text);
  } catch (const YAML::Exception& e) {
    // yaml-cpp counts lines from 0; editors from 1.
    fail_input(e.mark.is_null() ? where : fmt::format("{}:{}", where, e.mark.line + 1),
               "malformed YAML: {}", e.msg);
  }
}

YAML::Node read_yaml_file(const std::filesystem::path& path) {
  return parse_yaml_text(read_input_file(path, kMaxYamlBytes), path.string());
}

}  // namespace moebench::io
