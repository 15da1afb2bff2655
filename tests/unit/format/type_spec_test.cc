#include "marketlake/type_spec.h"

#include <arrow/type.h>
#include <gtest/gtest.h>

namespace marketlake {
namespace {

TEST(TypeSpecTest, ParsesEveryType) {
  auto s = ParseSchemaSpec(
               "ts:timestamp[ns,UTC], local:timestamp[us, America/New_York],symbol:string,"
               "price:double,size:int64,id:uint32,\"odd, name\":decimal(18,4),d:date,"
               "f:float,b:bool,sym:dictionary,big:decimal(40,2)")
               .ValueOrDie();
  EXPECT_EQ(s->ToString(),
            "ts: timestamp[ns, tz=UTC]\nlocal: timestamp[us, tz=America/New_York]\n"
            "symbol: string\nprice: double\nsize: int64\nid: uint32\nodd, name: decimal128(18, 4)\n"
            "d: date32[day]\nf: float\nb: bool\nsym: dictionary<values=string, indices=int32, "
            "ordered=0>\nbig: decimal256(40, 2)");
}

TEST(TypeSpecTest, ErrorsNameTheByteOffset) {
  EXPECT_EQ(ParseSchemaSpec("a:int64,b:nope").status().message(),
            "schema: at byte 10: unknown type 'nope'");
  EXPECT_EQ(ParseSchemaSpec("a:timestamp[xs]").status().message(),
            "schema: at byte 2: unknown time unit 'xs' (expected s, ms, us or ns)");
  EXPECT_EQ(ParseSchemaSpec("a int64").status().message(), "schema: at byte 0: expected NAME:TYPE");
  EXPECT_EQ(ParseSchemaSpec("a:decimal(99,2)").status().message(),
            "schema: at byte 2: decimal precision must be 1..76 and scale 0..precision");
  EXPECT_EQ(ParseSchemaSpec("a:int64,a:int32").status().message(),
            "schema: at byte 10: column 'a' given twice");
  EXPECT_EQ(ParseSchemaSpec("a:timestamp[ns").status().message(),
            "schema: at byte 14: unbalanced bracket");
  EXPECT_EQ(ParseSchemaSpec("\"a:int64").status().message(),
            "schema: at byte 0: unterminated quoted column name");
  EXPECT_EQ(ParseSchemaSpec("").status().message(), "schema: at byte 0: no columns");
  EXPECT_EQ(CodeOf(ParseSchemaSpec(std::string(70000, 'a')).status()), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace marketlake
