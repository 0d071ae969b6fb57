// The template language of task specs: the subset of lm-eval's Jinja templates that
// its standard tasks use for fields. `{{path}}` is replaced by the value at `path`
// in the document, where path = name ('.' name | '[' index ']')*, e.g.
// {{question}}, {{mc1_targets.choices}}, {{test_list[0]}}. Values render as
// Python's str() would (Jinja renders through str): strings as they are, 3,
// 2.5, True, None, lists as ['a', 'b']. A name that is missing is an error, as under
// lm-eval's StrictUndefined. A template without "{{" that is exactly a top-level
// field name selects that field (lm-eval's feature-name form, e.g. `doc_to_target: answer`).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace moebench::eval {

class DocTemplate {
 public:
  DocTemplate() = default;
  // Parses `text`; InputError naming `where` on an unclosed "{{" or a bad path.
  DocTemplate(const std::string& text, const std::string& where);

  // The rendered text; InputError naming `where`, the field and the document's keys
  // when a path does not resolve.
  std::string render(const nlohmann::json& doc, const std::string& where) const;
  // The JSON value the template stands for when it is one placeholder ("{{a.b}}"),
  // or a bare field name present in `doc`; nullptr otherwise (then use render()).
  const nlohmann::json* value(const nlohmann::json& doc, const std::string& where) const;

  const std::string& text() const { return text_; }
  bool empty() const { return text_.empty(); }

 private:
  struct Step {
    std::string key;     // object member, or
    int64_t index = -1;  // list element when key is empty (negative counts from the end)
  };
  struct Piece {
    std::string literal;     // text before the placeholder
    std::vector<Step> path;  // empty for the trailing literal
    std::string path_text;   // as written, for messages
  };
  const nlohmann::json& resolve(const nlohmann::json& doc, const Piece& piece,
                                const std::string& where) const;

  std::string text_;
  std::vector<Piece> pieces_;
};

// Python's str() of a JSON value (repr() for the items of lists and dicts).
std::string python_str(const nlohmann::json& value);

}  // namespace moebench::eval
