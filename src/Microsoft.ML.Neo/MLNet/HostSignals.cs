using Microsoft.ML.Runtime;

namespace Microsoft.ML.Neo;

/// <summary>
/// ML.NET's two channels back from a long computation, joined to the ones a run watches:
/// <list type="bullet">
/// <item>cancellation: <c>MLContext.CancelExecution()</c> sets a flag on the environment's hosts, which components
/// poll (ML.NET's trainers call <c>CheckAlive</c>); a run watches a <see cref="CancellationToken"/>. <see cref="Token"/>
/// is cancelled when the caller's token is, or when <see cref="Step"/> or <see cref="ThrowIfCanceled"/> finds the
/// host's flag set;</item>
/// <item>progress: a progress channel (<c>IHost.StartProgressChannel</c>) with the step as its progress unit and the
/// loss terms as its metrics, so ML.NET's progress listeners see training as they see any trainer's.</item>
/// </list>
/// </summary>
internal sealed class HostSignals : IDisposable
{
    private static readonly ProgressHeader Header = new(new[] { "loss", "cross-entropy", "divergence" }, new[] { "steps" });

    private readonly IHost host;
    private readonly CancellationTokenSource cancellation;
    private readonly IProgressChannel progress;
    private TrainingProgress? latest;

    public HostSignals(IHost host, string computation, CancellationToken caller)
    {
        this.host = host;
        cancellation = CancellationTokenSource.CreateLinkedTokenSource(caller);
        progress = host.StartProgressChannel(computation);
        progress.SetHeader(Header, entry =>
        {
            // Called from whichever thread asks; the record is immutable, so one read is a consistent snapshot.
            if (Volatile.Read(ref latest) is not { } step) return;
            entry.SetProgress(0, step.Step, step.TotalSteps);
            entry.SetMetric(0, step.Loss);
            entry.SetMetric(1, step.CrossEntropy);
            entry.SetMetric(2, step.Divergence);
        });
    }

    public CancellationToken Token => cancellation.Token;

    /// <summary>Cancelled through MLContext.CancelExecution (as opposed to the caller's own token).</summary>
    public bool HostCanceled => IsCanceled(host);

    /// <summary>Whether MLContext.CancelExecution reached <paramref name="host"/>'s environment.</summary>
    public static bool IsCanceled(IHost host) => host is ICancelable { IsCanceled: true };

    /// <summary>Records a finished step for progress listeners, and notices a cancellation asked for meanwhile.</summary>
    public void Step(TrainingProgress step)
    {
        Volatile.Write(ref latest, step);
        progress.Checkpoint(step.Loss, step.CrossEntropy, step.Divergence, step.Step, step.TotalSteps);
        if (HostCanceled) cancellation.Cancel();
    }

    /// <summary>Throws <see cref="OperationCanceledException"/> when either side has asked to stop.</summary>
    public void ThrowIfCanceled()
    {
        if (HostCanceled) cancellation.Cancel();
        cancellation.Token.ThrowIfCancellationRequested();
    }

    public void Dispose()
    {
        progress.Dispose();
        cancellation.Dispose();
    }
}
