global using Microsoft.ML;
global using Microsoft.VisualStudio.TestTools.UnitTesting;
global using Microsoft.ML.Data;
