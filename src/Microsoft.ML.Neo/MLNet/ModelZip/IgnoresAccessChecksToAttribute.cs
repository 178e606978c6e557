// The runtime honours this attribute (it is not in the BCL's public surface, so it is declared here):
// it lets this assembly call Microsoft.ML.Core's internal model save/load API, which it compiles against
// through a publicized reference copy (tools/MLCorePublicizer).
[assembly: System.Runtime.CompilerServices.IgnoresAccessChecksTo("Microsoft.ML.Core")]

namespace System.Runtime.CompilerServices
{
    [AttributeUsage(AttributeTargets.Assembly, AllowMultiple = true)]
    internal sealed class IgnoresAccessChecksToAttribute : Attribute
    {
        public IgnoresAccessChecksToAttribute(string assemblyName) => AssemblyName = assemblyName;

        public string AssemblyName { get; }
    }
}
