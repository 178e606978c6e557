// Writes a copy of an assembly in which every type, method and field is public.
// The copy is a compile-time reference only: Microsoft.ML.Neo compiles against it and declares
// [assembly: IgnoresAccessChecksTo("Microsoft.ML.Core")], so the runtime lets it use the internal
// model-zip API (ModelSaveContext, ModelLoadContext, LoadableClass) of the real assembly.
using Mono.Cecil;

if (args.Length != 2)
{
    Console.Error.WriteLine("usage: MLCorePublicizer <input.dll> <output.dll>");
    return 2;
}

var resolver = new DefaultAssemblyResolver();
resolver.AddSearchDirectory(Path.GetDirectoryName(Path.GetFullPath(args[0]))!);
using var assembly = AssemblyDefinition.ReadAssembly(args[0], new ReaderParameters { AssemblyResolver = resolver });
foreach (var type in assembly.MainModule.GetTypes())
{
    if (type.IsNested) type.IsNestedPublic = true;
    else type.IsPublic = true;
    foreach (var method in type.Methods) method.IsPublic = true;
    foreach (var field in type.Fields)
    {
        // Compiler-generated backing and event fields would collide with the public members of the same name.
        if (field.Name.Contains('<') || type.Events.Any(e => e.Name == field.Name)) continue;
        field.IsPublic = true;
    }
}
Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(args[1]))!);
assembly.Write(args[1]);
Console.WriteLine($"MLCorePublicizer: wrote {args[1]}");
return 0;
