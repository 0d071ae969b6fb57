// The text of each routed token as the report's token view shows it.
#include <gtest/gtest.h>

#include "harness/io/tokenizer.h"
#include "harness/jobs/token_pieces.h"
#include "harness/model/tiny_corpus.h"
#include "harness/util/error.h"
#include "tests/testing/test_env.h"

namespace moebench::jobs {
namespace {

TEST(TokenPieces, WordMarksAsSpacesAndByteFallbacksAsTheirBytes) {
  moebench::testing::ScratchDir dir;
  model::write_tiny_tokenizer(dir.path(), 512, 512);
  const auto tok = io::Tokenizer::load(dir.path());
  EXPECT_EQ(token_piece_text(*tok, tok->token_to_id("<0x0A>")), "\n");
  EXPECT_EQ(token_piece_text(*tok, tok->token_to_id("<0x09>")), "\t");
  EXPECT_EQ(token_piece_text(*tok, tok->token_to_id("<0x41>")), "A");
  EXPECT_EQ(token_piece_text(*tok, tok->token_to_id("<0x20>")), " ");
  // A byte of a multi-byte character alone (the store writes it as U+FFFD).
  EXPECT_EQ(token_piece_text(*tok, tok->token_to_id("<0xE2>")), "\xE2");
  // Control bytes and special tokens stay spelled as their piece.
  EXPECT_EQ(token_piece_text(*tok, tok->token_to_id("<0x00>")), "<0x00>");
  EXPECT_EQ(token_piece_text(*tok, tok->bos_id()), "<s>");

  // Learned pieces: "▁" shown as a space; the pieces of a text spell it
  // (the dummy prefix adds one leading space).
  const std::string text = "The boat was strong.\nIt did not sink.";
  const std::vector<int32_t> ids = tok->encode(text, /*add_special_tokens=*/false);
  const std::vector<std::string> pieces = token_pieces(*tok, ids);
  ASSERT_EQ(pieces.size(), ids.size());
  std::string spelled;
  for (const std::string& p : pieces) {
    EXPECT_FALSE(p.empty());
    EXPECT_EQ(p.find("\xE2\x96\x81"), std::string::npos) << p;
    spelled += p;
  }
  EXPECT_EQ(spelled, " " + text);
  EXPECT_THROW(token_piece_text(*tok, tok->vocab_size()), InputError);
}

}  // namespace
}  // namespace moebench::jobs
