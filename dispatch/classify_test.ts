import { assertEquals } from "../tests/assert.ts";
import { isMacOnly, programOf } from "./classify.ts";

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
    ]
  ) assertEquals(isMacOnly(line), false, line);
});

Deno.test("programOf() skips assignments, env and sudo with their options", () => {
  assertEquals(programOf("A=1 B=2 env -i -u X sudo -u root -g wheel /usr/bin/make -j2"), "make");
  assertEquals(programOf("   "), null);
});
