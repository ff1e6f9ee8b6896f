import { assertEquals } from "../tests/assert.ts";
import { isMacOnly, programOf, simpleCommands } from "./classify.ts";

Deno.test("isMacOnly() sends real macOS build and signing command lines to macOS", () => {
  for (
    const line of [
      "xcodebuild -scheme App -configuration Release build",
      "xcrun notarytool submit App.zip --keychain-profile AC --wait",
      "swift build -c release",
      "swift test --parallel",
      "codesign --deep --force --sign - build/App.app",
      "security find-identity -v -p codesigning",
      "lipo -create a.dylib b.dylib -output fat.dylib",
      "otool -L /usr/local/bin/ffmpeg",
      "install_name_tool -change @rpath/a.dylib @loader_path/a.dylib bin",
      "pkgbuild --root out --identifier com.x.app App.pkg",
      "productbuild --distribution dist.xml App.pkg",
      "/usr/bin/xcrun simctl list",
      "env DEVELOPER_DIR=/Applications/Xcode.app xcodebuild -version",
      "sudo -u builder xcodebuild -list",
      "sudo -E xcrun altool --help",
      "CI=1 FASTLANE=0 xcodebuild test",
      "cd ios && xcodebuild -workspace App.xcworkspace",
      "git pull; swift build",
      "time xcodebuild build",
      'FOO="a b" xcodebuild -list',
      "DEVELOPER_DIR='/Applications/Xcode 15.app' xcrun --find clang",
      "echo 'a;b' && xcodebuild build",
      "if true; then xcodebuild; fi",
      "(cd ios; xcodebuild)",
      "{ swift build; }",
      "xcodebuild build 2>&1 | tee log",
      "make\nswift test",
      "! codesign --verify App.app",
      'echo $(printf ")"); xcodebuild -version',
      'echo "$(printf \'"\')"; swift build',
      "cat <<EOF > notes\nswift is a language\nEOF\nxcodebuild",
    ]
  ) assertEquals(isMacOnly(line), true, line);
});

Deno.test("isMacOnly() leaves general commands to Linux", () => {
  for (
    const line of [
      "python train.py --epochs 3",
      "make -j8",
      "cargo build --release",
      "nvidia-smi",
      "echo swift",
      "grep xcodebuild build.log",
      "docker run --rm ubuntu uname -a",
      "env FOO=1 python -c 'print(1)'",
      "sudo apt-get install -y earlyoom",
      "HF_HOME=/data/hf python eval.py --ckpt 17g.pt",
      "cat security.txt",
      "",
      "echo 'build; xcodebuild -list'",
      'echo "done | swift test"',
      "grep -c 'a && lipo' notes.txt",
      "python run.py # then xcodebuild",
      "echo x > xcodebuild",
      "printf '%s\\n' $(echo xcodebuild)",
      "cat <<EOF\nswift is a language\nEOF",
      "cat <<-'END' | wc -l\n\txcodebuild -list\n\tEND\necho done",
      "grep -c x <<< 'xcodebuild; swift'",
    ]
  ) assertEquals(isMacOnly(line), false, line);
});

Deno.test("programOf() skips assignments, env and sudo with their options", () => {
  const words = "A=1 B=2 env -i -u X sudo -u root -g wheel /usr/bin/make -j2".split(" ");
  assertEquals(programOf(words), "make");
  assertEquals(programOf([]), null);
});

Deno.test("simpleCommands() reads quotes, escapes, operators and redirections as sh does", () => {
  assertEquals(simpleCommands(`A="x y" b 'c d'\\ e; f&&g|h 2>/dev/null i`), [
    ["A=x y", "b", "c d e"],
    ["f"],
    ["g"],
    ["h", "i"],
  ]);
  assertEquals(simpleCommands("a $(b; c) `d; e` # f; g\nh"), [["a", "$(b; c)", "`d; e`"], ["h"]]);
  assertEquals(simpleCommands('echo "a \\" ; b" c'), [["echo", 'a " ; b', "c"]]);
});
