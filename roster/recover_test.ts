import { assertEquals } from "../tests/assert.ts";
import { backupHoldsAll } from "./recover.ts";

const BAK = `{
  // my machines
  "hosts": [
    {"name": "a", "ssh": "root@10.0.0.1", "tags": ["gpu"]},
    {"name": "b", "ssh": "root@10.0.0.2"}
  ]
}
`;

Deno.test("backupHoldsAll() accepts a cut anywhere in text the .bak also has", () => {
  for (
    const cut of [
      "",
      "{",
      '{"hosts": [{"name": "a", "ss',
      '{"hosts": [{"name": "a", "ssh": "root@10.0.0.1", "tags": ["gpu"]}, {"name": "b"',
      '{ /* reformatted */ "hosts":[{"name":"a","ssh":"root@10.0.0.1","tags":["gpu"]},{"name":"b","ssh":"root@10.0.0.2"}]',
      BAK.slice(0, BAK.lastIndexOf("}")),
    ]
  ) {
    assertEquals(backupHoldsAll(cut, BAK), true, cut);
  }
});

Deno.test("backupHoldsAll() refuses when the damaged text shows anything the .bak lacks", () => {
  for (
    const cut of [
      // hosts added by hand, then the last } lost: the repro
      BAK.replace('"root@10.0.0.2"}', '"root@10.0.0.2"},\n    {"name": "c", "ssh": "c"}').slice(
        0,
        -2,
      ),
      '{"hosts": [{"name": "a", "ssh": "root@10.0.0.1", "tags": ["gpu", "ci"',
      '{"hosts": [{"name": "a", "ssh": "root@10.0.0.9"',
      '{"hosts": [{"name": "b"',
      '{"hosts": [{"name": "ab"',
      '{"hosts": [{"name": "a", "ssh": "root@10.0.0.1", "tags": ["gpu"]}, {"name": "b", "ssh": "root@10.0.0.2"}]}, "x"',
      '{"hosts": [{"name": "a" "ssh"',
    ]
  ) {
    assertEquals(backupHoldsAll(cut, BAK), false, cut);
  }
});
