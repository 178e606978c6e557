@echo off
rem Microsoft.ML.Neo build entry point for Windows (same commands as build.sh).
rem   build.cmd          restore, build, and run the quickstart sample
rem   build.cmd test     build and run every test
rem   build.cmd bench [COMMAND] [args]   run a benchmark of test\Neo.Benchmarks (default: train)
rem   build.cmd sample NAME [args]       run a sample console app of src\Neo.Samples
setlocal
cd /d "%~dp0"
set DOTNET_CLI_TELEMETRY_OPTOUT=1
set DOTNET_NOLOGO=1
set CONFIG=Release
set CMD=%1
if "%CMD%"=="" set CMD=quickstart
dotnet build NeoMl.sln -c %CONFIG% -v quiet -nologo || exit /b 1
if /i "%CMD%"=="quickstart" (
  dotnet src\Neo.Cli\bin\%CONFIG%\net10.0\neo.dll quickstart
  exit /b %ERRORLEVEL%
)
if /i "%CMD%"=="test" goto test
if /i "%CMD%"=="bench" goto bench
if /i "%CMD%"=="sample" goto sample
echo usage: build.cmd [quickstart^|test^|bench [COMMAND] [args]^|sample NAME [args]]
exit /b 2

:test
rem One test project per package, one after another (eng/run-tests.sh does the same on Linux). FAILED is read after
rem the loop, on a line of its own, so it holds what the loop set.
set FAILED=0
for %%P in (Microsoft.ML.Neo.Tests Microsoft.ML.Neo.Server.Tests Microsoft.ML.Neo.Sweeps.Tests Microsoft.ML.Neo.Data.Synthetic.Tests Neo.Cli.Tests) do (
  dotnet test test\%%P\%%P.csproj -c %CONFIG% --no-build || set FAILED=1
)
exit /b %FAILED%

:bench
rem %%2 onwards are the benchmark's name and arguments; none means the training-throughput benchmark.
set BENCH=%2
if "%BENCH%"=="" set BENCH=train
dotnet test\Neo.Benchmarks\bin\%CONFIG%\net10.0\neo-bench.dll %BENCH% %3 %4 %5 %6 %7 %8 %9
exit /b %ERRORLEVEL%

:sample
rem %%2 is the sample's name, %%3 onwards its arguments.
dotnet src\Neo.Samples\%2\bin\%CONFIG%\net10.0\%2.dll %3 %4 %5 %6 %7 %8 %9
exit /b %ERRORLEVEL%
