define i32 @red_zs(ptr %a, ptr %b) {
  %x = load <32 x i8>, ptr %a, align 1
  %y = load <32 x i8>, ptr %b, align 1
  %xe = zext <32 x i8> %x to <32 x i32>
  %ye = sext <32 x i8> %y to <32 x i32>
  %m = mul <32 x i32> %xe, %ye
  %r = call i32 @llvm.vector.reduce.add.v32i32(<32 x i32> %m)
  ret i32 %r
}
define i32 @red_ss(ptr %a, ptr %b) {
  %x = load <32 x i8>, ptr %a, align 1
  %y = load <32 x i8>, ptr %b, align 1
  %xe = sext <32 x i8> %x to <32 x i32>
  %ye = sext <32 x i8> %y to <32 x i32>
  %m = mul <32 x i32> %xe, %ye
  %r = call i32 @llvm.vector.reduce.add.v32i32(<32 x i32> %m)
  ret i32 %r
}
declare i32 @llvm.vector.reduce.add.v32i32(<32 x i32>)
